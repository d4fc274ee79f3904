"""Temporal Python client and worker behind an AES-GCM encryption codec, in
the wire form of Temporal's Python encryption sample, for interop tests.

Usage:
    python tests/interop/py_encrypted.py --address HOST:PORT client --task-queue TQ --workflow-id ID --arg TEXT
        runs the Rust workflow "Echo" with TEXT and prints {"result": ...}
    python tests/interop/py_encrypted.py --address HOST:PORT worker --task-queue TQ --workflow-id ID
        serves "PyEcho" on TQ until workflow ID (started elsewhere) is done,
        then prints {"result": ...}

The codec: each payload's protobuf bytes sealed with AES-256-GCM under a
fresh 12-byte nonce (data = nonce + ciphertext + tag), metadata
`encoding: binary/encrypted` and `encryption-key-id`.
"""

import argparse
import asyncio
import dataclasses
import json
import os
import sys
from typing import Sequence

from temporalio import workflow

# The codec runs outside workflow code; the sandbox need not re-import it.
with workflow.unsafe.imports_passed_through():
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.client import Client
from temporalio.converter import PayloadCodec, default
from temporalio.worker import Worker

KEY = b"test-key-test-key-test-key-test!"
KEY_ID = "test-key-id"
NONCE_LEN = 12


class EncryptionCodec(PayloadCodec):
    def __init__(self) -> None:
        self._aead = AESGCM(KEY)

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        sealed = []
        for payload in payloads:
            nonce = os.urandom(NONCE_LEN)
            data = nonce + self._aead.encrypt(nonce, payload.SerializeToString(), None)
            metadata = {"encoding": b"binary/encrypted", "encryption-key-id": KEY_ID.encode()}
            sealed.append(Payload(metadata=metadata, data=data))
        return sealed

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        opened = []
        for payload in payloads:
            if payload.metadata.get("encoding", b"").decode() != "binary/encrypted":
                opened.append(payload)
                continue
            key_id = payload.metadata.get("encryption-key-id", b"").decode()
            if key_id != KEY_ID:
                raise ValueError(f"unknown key id {key_id!r}")
            plain = self._aead.decrypt(payload.data[:NONCE_LEN], payload.data[NONCE_LEN:], None)
            opened.append(Payload.FromString(plain))
        return opened


@workflow.defn(name="PyEcho")
class PyEcho:
    @workflow.run
    async def run(self, text: str) -> str:
        return f"Python echo: {text}"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--address", required=True)
    parser.add_argument("mode", choices=["client", "worker"])
    parser.add_argument("--task-queue", required=True)
    parser.add_argument("--workflow-id", required=True)
    parser.add_argument("--arg", default="")
    args = parser.parse_args()
    converter = dataclasses.replace(default(), payload_codec=EncryptionCodec())
    client = await Client.connect(args.address, data_converter=converter)
    if args.mode == "client":
        result = await client.execute_workflow(
            "Echo", args.arg, id=args.workflow_id, task_queue=args.task_queue, result_type=str
        )
    else:
        async with Worker(client, task_queue=args.task_queue, workflows=[PyEcho]):
            result = await client.get_workflow_handle(args.workflow_id).result()
    print(json.dumps({"result": result}))


if __name__ == "__main__":
    asyncio.run(main())
    sys.stdout.flush()
    # Interpreter teardown with both the SDK's and `cryptography`'s native
    # modules loaded sometimes crashes (SIGSEGV) after all work is done;
    # the work is reported, so skip it.
    os._exit(0)
