"""Temporal's Python SDK on the workloads of the Rust bench (examples/bench.rs).

Usage:

    python benches/python_reference.py --address HOST:PORT [--scale 10]

Needs `pip install temporalio` and a Temporal server (namespace "default").
It runs its own worker in-process on a fresh task queue and measures, with
the Rust bench's full sizes divided by --scale (default 10, the size the Rust
bench uses on Temporal):

* A: sequential signals to one execution, then a query checking the value.
* D: sequential queries on one execution.
* C: sequential execute_update round trips.
* B: concurrent signal-with-start of `finish` (256 in flight), every result awaited.
* A16: 16 executions, 16 concurrent clients, signals each (rate = total / wall time).

Prints one line per workload, as the Rust bench does:
`<workload> python <count> <seconds>s <rate>/s`. Progress goes to stderr.
Exits 0 on success, 1 with a message on stderr on failure.
"""

import argparse
import asyncio
import os
import sys
import time
import uuid
from datetime import timedelta

from temporalio import workflow
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.worker import Worker

IN_FLIGHT = 256  # calls workload B keeps in flight
CLIENTS = 16  # concurrent clients (and executions) of workload A16


@workflow.defn(name="PyCounter")
class PyCounter:
    """The Rust bench's Counter: adds signals, finishes on `finish`, returns its value."""

    def __init__(self) -> None:
        self._value = 0
        self._done = False

    @workflow.run
    async def run(self) -> int:
        await workflow.wait_condition(lambda: self._done)
        return self._value

    @workflow.signal
    def add(self, n: int) -> None:
        self._value += n

    @workflow.signal
    def finish(self) -> None:
        self._done = True

    @workflow.query
    def value(self) -> int:
        return self._value

    @workflow.update
    def set_value(self, n: int) -> int:
        previous, self._value = self._value, n
        return previous

    @set_value.validator
    def validate_set_value(self, n: int) -> None:
        if n < 0:
            raise ValueError(f"{n} is negative")


def expect(what: str, actual: int, expected: int) -> None:
    if actual != expected:
        raise RuntimeError(f"{what}: expected {expected}, got {actual}")


def report(workload: str, count: int, elapsed: float) -> None:
    print(f"{workload} python {count} {elapsed:.2f}s {count / elapsed:.0f}/s", flush=True)


class Bench:
    def __init__(self, client: Client, task_queue: str, scale: int) -> None:
        self.client, self.task_queue, self.scale = client, task_queue, scale

    def size(self, full: int) -> int:
        return max(full // self.scale, 1)

    def workflow_id(self, name: str) -> str:
        return f"{self.task_queue}-{name}"

    async def start(self, name: str) -> WorkflowHandle:
        return await self.client.start_workflow(
            PyCounter.run, id=self.workflow_id(name), task_queue=self.task_queue
        )

    @staticmethod
    async def finish(handle: WorkflowHandle, expected: int) -> None:
        await handle.signal(PyCounter.finish)
        expect("result", await handle.result(), expected)

    async def a(self) -> None:
        n = self.size(10_000)
        handle = await self.start("a")
        started = time.perf_counter()
        for _ in range(n):
            await handle.signal(PyCounter.add, 1)
        expect("value", await handle.query(PyCounter.value), n)
        elapsed = time.perf_counter() - started
        await self.finish(handle, n)
        report("A", n, elapsed)

    async def d(self) -> None:
        n = self.size(100_000)
        handle = await self.start("d")
        await handle.signal(PyCounter.add, 7)
        started = time.perf_counter()
        for _ in range(n):
            expect("value", await handle.query(PyCounter.value), 7)
        elapsed = time.perf_counter() - started
        await self.finish(handle, 7)
        report("D", n, elapsed)

    async def c(self) -> None:
        n = self.size(10_000)
        handle = await self.start("c")
        started = time.perf_counter()
        for value in range(1, n + 1):
            expect("previous value", await handle.execute_update(PyCounter.set_value, value), value - 1)
        elapsed = time.perf_counter() - started
        try:
            await handle.execute_update(PyCounter.set_value, -1)
            raise RuntimeError("a negative value should be rejected")
        except WorkflowUpdateFailedError:
            pass
        await self.finish(handle, n)
        report("C", n, elapsed)

    async def b(self) -> None:
        n = self.size(10_000)
        slots = asyncio.Semaphore(IN_FLIGHT)

        async def one(i: int) -> None:
            async with slots:
                handle = await self.client.start_workflow(
                    PyCounter.run,
                    id=self.workflow_id(f"b-{i}"),
                    task_queue=self.task_queue,
                    start_signal="finish",
                )
                expect("result", await handle.result(), 0)

        started = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(n)))
        report("B", n, time.perf_counter() - started)

    async def a16(self) -> None:
        n = self.size(10_000)
        handles = [await self.start(f"a16-{c}") for c in range(CLIENTS)]

        async def signals(handle: WorkflowHandle) -> None:
            for _ in range(n):
                await handle.signal(PyCounter.add, 1)

        started = time.perf_counter()
        await asyncio.gather(*(signals(h) for h in handles))
        elapsed = time.perf_counter() - started
        for handle in handles:
            expect("value", await handle.query(PyCounter.value), n)
            await self.finish(handle, n)
        report("A16", CLIENTS * n, elapsed)


async def main(address: str, scale: int) -> None:
    client = await Client.connect(address, namespace="default")
    task_queue = f"pyref-{uuid.uuid4()}"  # also the prefix of workflow ids
    bench = Bench(client, task_queue, scale)
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[PyCounter],
        graceful_shutdown_timeout=timedelta(seconds=1),
    ):
        for name, workload in [("A", bench.a), ("D", bench.d), ("C", bench.c), ("B", bench.b), ("A16", bench.a16)]:
            print(f"{name}: running on {task_queue}", file=sys.stderr, flush=True)
            await workload()


if __name__ == "__main__":  # required: the workflow sandbox re-imports this module
    parser = argparse.ArgumentParser(description="Temporal Python SDK reference figures")
    parser.add_argument("--address", required=True, help="Temporal frontend, HOST:PORT")
    parser.add_argument("--scale", type=int, default=10, help="divide the full sizes by this (default 10)")
    args = parser.parse_args()
    status = 0
    try:
        if args.scale < 1:
            raise ValueError("--scale must be at least 1")
        asyncio.run(main(args.address, args.scale))
    except BaseException as error:  # also KeyboardInterrupt: report and exit 1
        print(f"python_reference: {type(error).__name__}: {error}", file=sys.stderr)
        status = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)  # skip interpreter shutdown, where the SDK can crash (temporalio/sdk-python#300)
