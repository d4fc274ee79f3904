"""Replays runs' histories from a Temporal server with the Python SDK's
Replayer and the Python "Reminder" workflow of py_worker.py, for interop tests.

Usage:
    python tests/interop/py_replay.py --address 127.0.0.1:PORT WORKFLOW_ID...

Prints one JSON object on stdout: for each workflow id, "ok" or the
replayer's error.
"""

import argparse
import asyncio
import json
import os
import sys

from temporalio.client import Client
from temporalio.worker import Replayer

from py_worker import NAMESPACE, Reminder


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--address", required=True, help="Temporal frontend, HOST:PORT")
    parser.add_argument("workflow_ids", nargs="+", help="runs whose latest history to replay")
    args = parser.parse_args()

    client = await Client.connect(args.address, namespace=NAMESPACE)
    replayer = Replayer(workflows=[Reminder])
    report = {}
    for workflow_id in args.workflow_ids:
        history = await client.get_workflow_handle(workflow_id).fetch_history()
        try:
            await replayer.replay_workflow(history)
            report[workflow_id] = "ok"
        except Exception as e:  # the verdict is the output
            report[workflow_id] = f"{type(e).__name__}: {e}"
    print(json.dumps(report), flush=True)
    return 0


if __name__ == "__main__":
    status = asyncio.run(main())
    # As py_worker.py: skip interpreter finalization (temporalio/sdk-python#300).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
