"""The readers of the emulator's output, on lines firebase-tools 15 really printed (a task
queue named store_qr_batch, a main.py that failed to import, a clean start)."""

from __future__ import annotations

from pathlib import Path

from tests.deploy import firebase_cli as cli

PROJECT = "demo-discovery-1d2539d8"
CLEAN_START = f"""\
i  emulators: Detected demo project ID "{PROJECT}", emulated services will use a demo \
configuration and attempts to access non-emulated services for this project will fail.
⚠  Unable to fetch the CLI MOTD and remote config. This is not a fatal error, but may \
indicate an issue with your network connection.
⚠  emulators: The Emulator UI is not starting because none of the running emulators have a \
UI component.
WARNING: This is a development server. Do not use it in a production deployment. Use a \
production WSGI server instead.
Terminated
✔  functions: Loaded functions definitions from source: recheckUploadedImage, sweep, upload.
✔  tasks: Created queue with key: queue:{PROJECT}-us-central1-recheckUploadedImage
✔  functions[us-central1-recheckUploadedImage]: http function initialized \
(http://127.0.0.1:41237/{PROJECT}/us-central1/recheckUploadedImage).
i  functions[us-central1-sweep]: function ignored because the pubsub emulator does not exist \
or is not running.
✔  functions[us-central1-upload]: storage function initialized.
"""
BAD_QUEUE_NAME = (
    "⚠  Error adding Task Queue function: FirebaseError: Request to http://127.0.0.1:34957/"
    f"projects/{PROJECT}/locations/us-central1/queues/store_qr_batch had HTTP Error: 400, "
    "Queue ID can contain only letters ([A-Za-z]), numbers ([0-9]), or hyphens (-).")
IMPORT_FAILED = """\
ERROR serving: Exception on /__/functions.yaml [GET]
Traceback (most recent call last):
ModuleNotFoundError: No module named 'not_a_module_xyz'
⬢  functions: Failed to load function definition from source: FirebaseError: Functions \
codebase could not be analyzed successfully. It may have a syntax or runtime error
"""


def run_of(console: str) -> cli.EmulatorRun:
    return cli.EmulatorRun(PROJECT, "us-central1", console, None, 1.0, Path("emulator.log"))


def test_a_clean_start_has_no_problem_and_is_read_whole() -> None:
    run = run_of(CLEAN_START)
    assert cli.problem_lines(CLEAN_START) == []
    assert cli.loaded_names(CLEAN_START) == ["recheckUploadedImage", "sweep", "upload"]
    assert cli.function_outcomes(run) == {"recheckUploadedImage": "http initialized",
                                          "sweep": "ignored: no pubsub emulator",
                                          "upload": "storage initialized"}
    assert cli.created_queues(run) == ["recheckUploadedImage"]


def test_a_refused_queue_name_is_a_problem() -> None:
    assert cli.problem_lines(CLEAN_START + BAD_QUEUE_NAME) == [BAD_QUEUE_NAME]


def test_a_main_py_that_fails_to_import_is_a_problem_and_loads_nothing() -> None:
    problems = cli.problem_lines(IMPORT_FAILED)
    assert len(problems) == len(IMPORT_FAILED.splitlines())
    assert cli.loaded_names(IMPORT_FAILED) is None


def test_the_manifest_is_read_up_to_the_next_log_entry() -> None:
    debug_log = (
        "[2026-12-01T00:49:16.773Z] Got response from /__/functions.yaml endpoints:\n"
        "  storeQrBatch:\n    entryPoint: storeQrBatch\n    taskQueueTrigger:\n"
        "      retryConfig: {}\n"
        "params:\n- name: B2_APPLICATION_KEY\n  type: secret\n"
        "[error] 127.0.0.1 - - [01/Dec/2026 00:49:16] \"GET /__/quitquitquit HTTP/1.1\" 200 -\n"
        "[2026-12-01T00:49:16.900Z] next entry\n")
    manifest = cli.read_manifest(debug_log)
    assert manifest is not None
    assert manifest["endpoints"]["storeQrBatch"]["taskQueueTrigger"] == {"retryConfig": {}}
    assert manifest["params"] == [{"name": "B2_APPLICATION_KEY", "type": "secret"}]
