"""Deploy checks: the Firebase CLI's own discovery of functions/main.py, and cloudbuild.yaml."""
