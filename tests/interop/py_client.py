"""Temporal Python client driving a "GreetingWorkflow" served by another worker.

Usage:
    python tests/interop/py_client.py --address A --task-queue TQ --workflow-id ID

Namespace "default". Calls everything by name, untyped:
    1. signal-with-start GreetingWorkflow (id ID, queue TQ), submit_greeting("Python")
    2. update set_language("French")          -> previous language
    3. update set_language("Klingon")         -> must be rejected
    4. signal submit_greeting("Rust")
    5. signal exit()
    6. wait for the result (30 s at most)
    7. query greetings() on the closed workflow

On success prints one line of JSON on stdout and exits 0:
    {"previous_language": ..., "rejection": "<rejection message>",
     "result": [...], "greetings_query": [...]}
On any unexpected outcome prints a message on stderr and exits 1.
"""

import argparse
import asyncio
import json
import os
import sys

from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

NAMESPACE = "default"
RESULT_TIMEOUT_SECONDS = 30
# Updates wait for a worker with no limit of their own: bound the whole run.
OVERALL_TIMEOUT_SECONDS = 90


class InteropError(Exception):
    pass


async def run(address: str, task_queue: str, workflow_id: str, progress: dict) -> dict:
    progress["step"] = "connect"
    client = await Client.connect(address, namespace=NAMESPACE)

    progress["step"] = "signal-with-start"
    handle = await client.start_workflow(
        "GreetingWorkflow",
        id=workflow_id,
        task_queue=task_queue,
        start_signal="submit_greeting",
        start_signal_args=["Python"],
    )

    progress["step"] = "update set_language(French)"
    previous_language = await handle.execute_update("set_language", "French")

    progress["step"] = "update set_language(Klingon)"
    try:
        accepted = await handle.execute_update("set_language", "Klingon")
    except WorkflowUpdateFailedError as err:
        cause = err.cause
        if not isinstance(cause, ApplicationError):
            raise InteropError(
                f"Klingon update failed with {type(cause).__name__}, "
                f"not ApplicationError: {cause}"
            ) from err
        rejection = cause.message
    else:
        raise InteropError(f"Klingon update was accepted, returning {accepted!r}")

    progress["step"] = "signal submit_greeting(Rust)"
    await handle.signal("submit_greeting", "Rust")
    progress["step"] = "signal exit"
    await handle.signal("exit")

    progress["step"] = "result"
    try:
        result = await asyncio.wait_for(handle.result(), RESULT_TIMEOUT_SECONDS)
    except asyncio.TimeoutError:
        raise InteropError(f"no result within {RESULT_TIMEOUT_SECONDS} s") from None

    progress["step"] = "query greetings"
    greetings_query = await handle.query("greetings")

    return {
        "previous_language": previous_language,
        "rejection": rejection,
        "result": result,
        "greetings_query": greetings_query,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--address", required=True, help="Temporal frontend, HOST:PORT")
    parser.add_argument("--task-queue", required=True, help="task queue of the worker")
    parser.add_argument("--workflow-id", required=True, help="workflow id to start")
    args = parser.parse_args()

    progress = {"step": "start"}
    try:
        report = asyncio.run(
            asyncio.wait_for(
                run(args.address, args.task_queue, args.workflow_id, progress),
                OVERALL_TIMEOUT_SECONDS,
            )
        )
    except asyncio.TimeoutError:
        print(
            f"py_client: timed out after {OVERALL_TIMEOUT_SECONDS} s"
            f" at step {progress['step']}",
            file=sys.stderr,
        )
        return 1
    except Exception as err:
        detail = f"at step {progress['step']}: {type(err).__name__}: {err}"
        if err.__cause__ is not None:
            detail += f" (cause: {type(err.__cause__).__name__}: {err.__cause__})"
        print(f"py_client: {detail}", file=sys.stderr)
        return 1
    print(json.dumps(report), flush=True)
    return 0


if __name__ == "__main__":
    status = main()
    # Skip interpreter finalization: the SDK's native (Rust) threads can crash
    # it ("PyGILState_Release ... must be current", SIGABRT/SIGSEGV) after the
    # work is done, turning a success into a failed exit status
    # (temporalio/sdk-python#300).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
