"""Temporal Python worker serving the "PyGreeting" and "Reminder" workflows, for interop tests.

Usage:
    python tests/interop/py_worker.py --address 127.0.0.1:PORT --task-queue TQ

Prints the single line ``ready`` on stdout once the worker is polling TQ
(namespace "default"); logs go to stderr. Runs until SIGTERM/SIGINT, or until
stdin reaches end-of-file when stdin is a pipe (so a parent that drops the
pipe, or dies, stops the worker). Exits 0 after a graceful shutdown.

PyGreeting mirrors the Rust GreetingWorkflow's messages, with the greeting done
inline instead of through an activity:
    run() -> list[str]                  completes once `exit` was signalled and
                                        no name is pending
    signal submit_greeting(name: str)   greets `name` in the current language
    signal exit()
    query greetings() -> list[str]
    update set_language(language: str) -> str   returns the previous language;
                                        the validator rejects "Klingon"

Reminder is the Rust ReminderV2 of tests/semantics/reminder.rs: behind
`workflow.patched("shorter")` a 2 ms timer, else the old 1 ms one; then it
waits for the `go` signal and returns "new" or "old".
"""

import argparse
import asyncio
import logging
import os
import signal
import stat
import sys
import threading
import time

from temporalio import workflow
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client
from temporalio.worker import Worker

NAMESPACE = "default"

GREETING_FORMATS = {
    "English": "Hello, {}!",
    "French": "Bonjour, {} !",
}


@workflow.defn(name="PyGreeting")
class PyGreeting:
    def __init__(self) -> None:
        self._language = "English"
        self._pending: list[str] = []
        self._greetings: list[str] = []
        self._exit = False

    @workflow.run
    async def run(self) -> list[str]:
        await workflow.wait_condition(lambda: self._exit and not self._pending)
        return list(self._greetings)

    @workflow.signal
    def submit_greeting(self, name: str) -> None:
        # Greet right away, with the language in force when the signal is
        # handled, so a signal sent before an update is greeted before the
        # update applies even if both land in the same workflow task.
        self._pending.append(name)
        while self._pending:
            pending = self._pending.pop(0)
            self._greetings.append(GREETING_FORMATS[self._language].format(pending))

    @workflow.signal
    def exit(self) -> None:
        self._exit = True

    @workflow.query
    def greetings(self) -> list[str]:
        return list(self._greetings)

    @workflow.update
    def set_language(self, language: str) -> str:
        previous, self._language = self._language, language
        return previous

    @set_language.validator
    def validate_language(self, language: str) -> None:
        if language not in GREETING_FORMATS:
            raise ValueError(f"{language} is not supported")


@workflow.defn(name="Reminder")
class Reminder:
    def __init__(self) -> None:
        self._go = False

    @workflow.run
    async def run(self) -> str:
        if workflow.patched("shorter"):
            await asyncio.sleep(0.002)
            branch = "new"
        else:
            await asyncio.sleep(0.001)
            branch = "old"
        await workflow.wait_condition(lambda: self._go)
        return branch

    @workflow.signal
    def go(self) -> None:
        self._go = True


async def wait_until_polling(client: Client, task_queue: str, timeout: float) -> bool:
    """Wait until the server lists this process's poller on `task_queue`."""
    request = DescribeTaskQueueRequest(
        namespace=NAMESPACE,
        task_queue=TaskQueue(name=task_queue),
        task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = await client.workflow_service.describe_task_queue(request)
        if any(p.identity == client.identity for p in response.pollers):
            return True
        await asyncio.sleep(0.1)
    return False


def watch_stdin(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
    """Set `stop` when stdin, if it is a pipe or socket, reaches end-of-file.

    Stdin that is /dev/null, a file or a terminal is not watched: it would
    either end at once or never, and the worker then stops on a signal only.
    """
    try:
        mode = os.fstat(0).st_mode
    except OSError:  # stdin closed
        return
    if not (stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)):
        return

    def read_until_eof() -> None:
        try:
            while os.read(0, 4096):
                pass
        except OSError:
            pass
        loop.call_soon_threadsafe(stop.set)

    threading.Thread(target=read_until_eof, name="stdin-watch", daemon=True).start()


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--address", required=True, help="Temporal frontend, HOST:PORT")
    parser.add_argument("--task-queue", required=True, help="task queue to poll")
    args = parser.parse_args()

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    watch_stdin(loop, stop)

    client = await Client.connect(args.address, namespace=NAMESPACE)
    worker = Worker(client, task_queue=args.task_queue, workflows=[PyGreeting, Reminder])
    run_task = asyncio.create_task(worker.run())
    stop_task = asyncio.create_task(stop.wait())

    async def wait_ready() -> None:
        while not worker.is_running:
            await asyncio.sleep(0.05)
        if not await wait_until_polling(client, args.task_queue, timeout=30):
            raise RuntimeError(f"no poller seen on task queue {args.task_queue!r}")
        print("ready", flush=True)

    ready_task = asyncio.create_task(wait_ready())
    await asyncio.wait(
        {run_task, ready_task, stop_task}, return_when=asyncio.FIRST_COMPLETED
    )
    if ready_task.done() and not ready_task.exception() and not run_task.done():
        await asyncio.wait({run_task, stop_task}, return_when=asyncio.FIRST_COMPLETED)

    failure = None
    if run_task.done():
        failure = f"worker stopped unexpectedly: {run_task.exception()!r}"
    elif ready_task.done() and ready_task.exception():
        failure = f"worker not ready: {ready_task.exception()}"
    ready_task.cancel()
    stop_task.cancel()
    if not run_task.done():
        try:
            await asyncio.wait_for(worker.shutdown(), timeout=10)
        except asyncio.TimeoutError:
            failure = failure or "worker shutdown timed out"
    if failure:
        print(f"py_worker: {failure}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.WARNING,
        format="py_worker %(levelname)s %(name)s: %(message)s",
    )
    status = asyncio.run(main())
    # Skip interpreter finalization: the SDK's native (Rust) threads can crash
    # it ("PyGILState_Release ... must be current", SIGABRT/SIGSEGV) after the
    # work is done, turning a success into a failed exit status
    # (temporalio/sdk-python#300).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
