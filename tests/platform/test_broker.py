"""The embedded default's broker (j1msky.broker): under many producers and consumers in
separate processes, every message is read whole, by exactly one consumer."""

from __future__ import annotations

import multiprocessing
import queue as queue_module
import time
from pathlib import Path

from kombu import Connection

TRANSPORT = "j1msky.broker:Transport"
PRODUCERS, CONSUMERS, PER_PRODUCER = 4, 4, 250


def _connection(folder: str) -> Connection:
    options = {
        "data_folder_in": folder,
        "data_folder_out": folder,
        "processed_folder": str(Path(folder).parent / "processed"),
        "store_processed": False,
    }
    return Connection("filesystem://localhost//", transport=TRANSPORT, transport_options=options)


def _produce(folder: str, producer: int) -> None:
    with _connection(folder) as conn:
        channel = conn.default_channel
        for n in range(PER_PRODUCER):
            # Big enough that a write is not one instant.
            channel._put("work", {"id": f"{producer}-{n}", "pad": "x" * 20_000})


def _consume(folder: str, produced, results) -> None:
    seen, broken = [], 0
    with _connection(folder) as conn:
        channel = conn.default_channel
        while True:
            done = produced.is_set()  # before looking: an empty queue after it is final
            try:
                message = channel._get("work")
            except queue_module.Empty:
                if done:
                    break
                time.sleep(0.001)
                continue
            except ValueError:  # a partly written message: what this transport prevents
                broken += 1
                continue
            seen.append(message["id"] if len(message["pad"]) == 20_000 else "truncated")
    results.put((seen, broken))


def test_every_message_is_read_whole_once_by_one_of_many_consumers(tmp_path):
    folder = tmp_path / "queue"
    folder.mkdir()
    (tmp_path / "processed").mkdir()
    ctx = multiprocessing.get_context("spawn")
    results, produced = ctx.Queue(), ctx.Event()
    consumers = [
        ctx.Process(target=_consume, args=(str(folder), produced, results))
        for _ in range(CONSUMERS)
    ]
    producers = [ctx.Process(target=_produce, args=(str(folder), p)) for p in range(PRODUCERS)]
    for process in consumers + producers:
        process.start()
    for process in producers:
        process.join(timeout=120)
        assert process.exitcode == 0
    produced.set()
    outcomes = [results.get(timeout=120) for _ in consumers]
    for process in consumers:
        process.join(timeout=30)
        assert process.exitcode == 0

    seen = [message for ids, _ in outcomes for message in ids]
    assert sum(broken for _, broken in outcomes) == 0
    assert "truncated" not in seen
    expected = {f"{p}-{n}" for p in range(PRODUCERS) for n in range(PER_PRODUCER)}
    assert len(seen) == len(expected) and set(seen) == expected  # each once, none lost
    assert all(len(ids) > 0 for ids, _ in outcomes), "every consumer took a share"
    assert not list(folder.iterdir()) and not list((tmp_path / "processed").iterdir())
