"""Fake freedesktop notification server (a boundary fake: no desktop runs in CI).

Run as `python -m tests.fake_notification_server ADDRESS RECORD CAPABILITIES [ACTION]` on a
private session bus. It owns `org.freedesktop.Notifications`, answers GetCapabilities with the
comma-separated CAPABILITIES, records each Notify (its D-Bus signature and arguments) as a JSON
line in RECORD (and each CloseNotification as `{"close": id}`), and, playing the person,
presses ACTION on it (`default` is a click on the notification itself): ActionInvoked is sent
to the caller, as GNOME Shell does. Prints READY once it owns the name.
"""

from __future__ import annotations

import json
import sys

from jeepney import DBusAddress, MessageType, new_error, new_method_return, new_signal
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import open_dbus_connection
from jeepney.low_level import HeaderFields

NAME = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"


def serve(address: str, record: str, capabilities: list[str], action: str | None) -> None:
    """Answer calls until the bus goes away (the test stops the bus)."""
    conn = open_dbus_connection(bus=address)
    conn.send_and_get_reply(message_bus.RequestName(NAME), timeout=5)
    print("READY", flush=True)
    next_id = 0
    while True:
        message = conn.receive()
        if message.header.message_type is not MessageType.method_call:
            continue
        member = message.header.fields[HeaderFields.member]
        if member == "GetCapabilities":
            conn.send(new_method_return(message, "as", (capabilities,)))
        elif member == "Notify":
            next_id += 1
            signature = message.header.fields.get(HeaderFields.signature, "")
            with open(record, "a", encoding="utf-8") as out:
                out.write(json.dumps({"signature": signature, "args": message.body[:6]}) + "\n")
            conn.send(new_method_return(message, "u", (next_id,)))
            if action is not None:
                caller = message.header.fields[HeaderFields.sender]
                emitter = DBusAddress(PATH, interface=NAME)
                signal = new_signal(emitter, "ActionInvoked", "us", (next_id, action))
                signal.header.fields[HeaderFields.destination] = caller
                conn.send(signal)
        elif member == "CloseNotification":
            with open(record, "a", encoding="utf-8") as out:
                out.write(json.dumps({"close": message.body[0]}) + "\n")
            conn.send(new_method_return(message))
        else:
            conn.send(new_error(message, "org.freedesktop.DBus.Error.UnknownMethod"))


if __name__ == "__main__":
    serve(sys.argv[1], sys.argv[2], sys.argv[3].split(","), (sys.argv[4:] or [None])[0])
