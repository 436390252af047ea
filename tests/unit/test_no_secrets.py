"""The secret scan of scripts/test: detect-secrets over the tracked files against the
committed baseline (.secrets.baseline). The baseline holds no findings at all: the only
false positive in the repository, the RFC 4648 base32 alphabet that QR id suffixes are made
of, is excluded by value (--exclude-secrets), so moved lines never make the baseline stale.

Regenerate it (after auditing every finding) with
    .venv/bin/detect-secrets scan --no-verify \\
        --exclude-secrets '^abcdefghijklmnopqrstuvwxyz234567$' > .secrets.baseline
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BASELINE = REPO / ".secrets.baseline"
BASE32_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
# Built at run time so that this file itself holds no AWS-style key for the scan to find.
PLANTED_KEY_ID = "AKIA" + "Q7WZ3KX2M4PLT9RV"


def scan_command() -> str:
    """The secret-scan line of scripts/test, exactly as the test command runs it."""
    lines = [line.strip() for line in (REPO / "scripts/test").read_text().splitlines()
             if "detect-secrets-hook" in line and not line.lstrip().startswith("#")]
    assert len(lines) == 1, "scripts/test should run detect-secrets-hook once"
    return lines[0]


def run_scan_in_copy(tmp_path: Path, files: dict[str, str]) -> subprocess.CompletedProcess:
    """Run the scan line in a throwaway git repository holding the baseline and `files`
    (the repository's own git state is never touched)."""
    shutil.copy(BASELINE, tmp_path / ".secrets.baseline")
    (tmp_path / ".venv").symlink_to(REPO / ".venv")
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    for git in (["git", "init", "-q"], ["git", "add", ".secrets.baseline", *files]):
        subprocess.run(git, cwd=tmp_path, env=env, check=True)
    return subprocess.run(["bash", "-c", f"set -euo pipefail; {scan_command()}"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)


def test_the_baseline_holds_no_findings_and_never_calls_out():
    baseline = json.loads(BASELINE.read_text())
    assert baseline["results"] == {}
    filters = {f["path"]: f for f in baseline["filters_used"]}
    # Verification would send found secrets to AWS, Slack, Stripe ... over the network.
    assert "detect_secrets.filters.common.is_ignored_due_to_verification_policies" \
        not in filters
    assert "--no-verify" in scan_command()
    # Exactly one value is excluded, and only as a whole string.
    assert filters["detect_secrets.filters.regex.should_exclude_secret"]["pattern"] == \
        [f"^{BASE32_ALPHABET}$"]
    assert "detect_secrets.filters.regex.should_exclude_file" not in filters


def test_the_scan_fails_on_a_planted_secret(tmp_path):
    planted = f'S3_UPLOADS_KEY_ID = "{PLANTED_KEY_ID}"\n'
    done = run_scan_in_copy(tmp_path, {"settings.py": planted})
    assert done.returncode != 0, done.stdout + done.stderr
    assert "AWS Access Key" in done.stdout and "settings.py" in done.stdout


def test_the_scan_passes_clean_files_and_the_base32_alphabet(tmp_path):
    clean = f'SUFFIX_ALPHABET = "{BASE32_ALPHABET}"\nPROJECT = "demo-inventory"\n'
    done = run_scan_in_copy(tmp_path, {"ids.py": clean})
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_exclusion_is_no_loophole(tmp_path):
    # A high-entropy string beside the excluded alphabet is still found (split here so
    # that this file holds none).
    token = "c2VjcmV0LXRva2VuLXRoYXQ" + "taXMtbm90LWEtdGVzdA9xZ"
    text = f'ALPHABET = "{BASE32_ALPHABET}"\nTOKEN = "{token}"\n'
    done = run_scan_in_copy(tmp_path, {"more.py": text})
    assert done.returncode != 0, done.stdout + done.stderr
    assert "High Entropy" in done.stdout and "more.py:2" in done.stdout
