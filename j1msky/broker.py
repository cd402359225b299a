"""The embedded default's broker: kombu's filesystem transport, with messages that appear whole.

kombu's own channel creates a message file and then writes it, so a worker polling the queue
folder can take the file in between and read nothing (`JSONDecodeError`, and the worker's
consumer dies). Here a message is written to a hidden part-file and renamed into the queue in
one step, and a consumer takes a message by renaming it into the processed folder, on the same
file system, before reading it: each message is read whole, by exactly one consumer.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from queue import Empty
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        # Zero-padded, so that the name order (the queue order) is the time order.
        name = f"{round(monotonic() * 1000):015d}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        part = os.path.join(self.data_folder_out, f".{uuid.uuid4().hex}.part")
        try:
            with open(part, "wb") as out:
                out.write(str_to_bytes(dumps(payload)))
            os.replace(part, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory: {exc}") from exc

    def _get(self, queue):
        suffix = f".{queue}.msg"
        for name in sorted(os.listdir(self.data_folder_in)):
            if not name.endswith(suffix):
                continue
            taken = os.path.join(self.processed_folder, name)
            try:
                os.replace(os.path.join(self.data_folder_in, name), taken)
            except OSError:
                continue  # another consumer took it first
            try:
                with open(taken, "rb") as message:
                    payload = message.read()
            except OSError as exc:
                raise ChannelError(f"Cannot read file {taken!r} from queue: {exc}") from exc
            finally:
                if not self.store_processed:
                    with contextlib.suppress(FileNotFoundError):
                        os.remove(taken)
            return loads(bytes_to_str(payload))
        raise Empty()


class Transport(filesystem.Transport):
    Channel = Channel
