"""Notifications with buttons on Linux desktops (freedesktop `org.freedesktop.Notifications`).

`ActionNotifier.open()` answers None unless the session's notification server lists the
"actions" capability (GetCapabilities); the tray then keeps its plain message with the choices
in the menu. macOS and Windows always get that fallback: their actionable notifications
(UNUserNotificationCenter, toasts) need a signed app bundle / an AppUserModelID we do not have.

The D-Bus conversation runs on jeepney, not QtDBus: PySide6 marshals every Python int as int32,
so Notify would go out as `sisssasa{sv}i` instead of `susssasa{sv}i`, and GDBus-based servers
(GNOME Shell, dunst) refuse that. jeepney's router owns one connection and a receiver thread;
ActionInvoked is sent to the connection that called Notify, so the same connection listens.
A small thread moves matched signals onto the GUI thread through a queued Qt signal.
"""

from __future__ import annotations

import logging
import os
import queue
import sys
import threading
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Signal

log = logging.getLogger(__name__)

BUS_NAME = "org.freedesktop.Notifications"
OBJECT_PATH = "/org/freedesktop/Notifications"
CALL_TIMEOUT_S = 5.0
EXPIRE_NEVER = 0  # the warning stays until answered, replaced or withdrawn (`withdraw`)
EXPIRE_DEFAULT = -1  # the server's own timeout: a plain message fades like any other
CLICKED = "default"  # the action key a server sends when the notification itself is clicked


class ActionNotifier(QObject):
    """Shows notifications with buttons and reports which button was pressed."""

    action_invoked = Signal(int, str)  # notification id, action key (queued onto the GUI thread)

    def __init__(self, router: Any, app_name: str) -> None:
        super().__init__()
        from jeepney import DBusAddress, MatchRule

        self._router = router
        # Held by every call and by close: jeepney's router, closed while a reply has just
        # arrived, fails the finished call again in its receiver thread (InvalidStateError).
        self._calls = threading.Lock()
        self._app_name = app_name
        self._server = DBusAddress(OBJECT_PATH, bus_name=BUS_NAME, interface=BUS_NAME)
        self._signals: queue.Queue[Any] = queue.Queue(maxsize=64)
        rule = MatchRule(
            type="signal", interface=BUS_NAME, member="ActionInvoked", path=OBJECT_PATH
        )
        self._filter = router.filter(rule, queue=self._signals)
        self._add_match(rule)
        self._closed = threading.Event()
        self._pump = threading.Thread(target=self._forward, name="notify-actions", daemon=True)
        self._pump.start()

    @classmethod
    def shared(cls, app_name: str) -> ActionNotifier | None:
        """The one notifier of this session bus (opened on first use; every feature of the tray
        shares it); a closed one (the tray quit) is opened anew for the next tray."""
        key = (app_name, os.environ.get("DBUS_SESSION_BUS_ADDRESS", ""))
        with _SHARED_LOCK:
            notifier = _SHARED.get(key)
            if key not in _SHARED or (notifier is not None and notifier.closed):
                notifier = _SHARED[key] = cls.open(app_name)
            return notifier

    @classmethod
    def open(cls, app_name: str, bus: str = "SESSION") -> ActionNotifier | None:
        """A notifier on the session bus, or None when buttons cannot be offered here."""
        if not sys.platform.startswith("linux"):
            return None
        try:
            from jeepney.io.threading import DBusRouter, open_dbus_connection

            router = DBusRouter(open_dbus_connection(bus=bus))
        except Exception as exc:  # no session bus (ssh session, CI without dbus)
            log.info("no D-Bus session bus for notifications: %s", exc)
            return None
        try:
            capabilities = cls._capabilities(router)
        except Exception as exc:  # no notification server running
            log.info("no notification server on the session bus: %s", exc)
            router.close()
            return None
        if "actions" not in capabilities:
            log.info("the notification server offers no buttons (%s)", capabilities)
            router.close()
            return None
        notifier = cls(router, app_name)
        app = QCoreApplication.instance()
        if app is not None:
            # Opened on a worker (every step above waits on D-Bus, up to 5 s each), it lives
            # on the GUI thread with the tray that listens to it.
            notifier.moveToThread(app.thread())
        return notifier

    @staticmethod
    def _capabilities(router: Any) -> list[str]:
        from jeepney import DBusAddress, new_method_call

        server = DBusAddress(OBJECT_PATH, bus_name=BUS_NAME, interface=BUS_NAME)
        reply = router.send_and_get_reply(
            new_method_call(server, "GetCapabilities"), timeout=CALL_TIMEOUT_S
        )
        _unwrap(reply)
        return [str(c) for c in reply.body[0]]

    def notify(
        self,
        title: str,
        body: str,
        actions: Sequence[tuple[str, str]],
        replaces: int = 0,
        expire_ms: int = EXPIRE_NEVER,
    ) -> int:
        """Show a notification with buttons (key, label); returns its id for ActionInvoked.

        A click on the notification itself comes back as the key `CLICKED`."""
        from jeepney import new_method_call

        flat = [CLICKED, ""] + [part for key, label in actions for part in (key, label)]
        message = new_method_call(
            self._server,
            "Notify",
            "susssasa{sv}i",
            (self._app_name, replaces, "", title, body, flat, {}, expire_ms),
        )
        reply = self._call(message)
        _unwrap(reply)
        return int(reply.body[0])

    def withdraw(self, notification: int) -> None:
        """Take a notification off the screen (CloseNotification); unknown ids are no error."""
        from jeepney import new_method_call

        message = new_method_call(self._server, "CloseNotification", "u", (notification,))
        _unwrap(self._call(message))

    @property
    def closed(self) -> bool:
        """True once `close` ran."""
        return self._closed.is_set()

    def close(self) -> None:
        """Stop listening and drop the connection (again: nothing)."""
        if self._closed.is_set():
            return
        self._closed.set()
        with self._calls:  # after the call in flight, if any (each is bounded by its timeout)
            self._filter.close()
            self._router.close()

    def _call(self, message: Any) -> Any:
        with self._calls:
            return self._router.send_and_get_reply(message, timeout=CALL_TIMEOUT_S)

    def _add_match(self, rule: Any) -> None:
        from jeepney.bus_messages import message_bus

        _unwrap(self._call(message_bus.AddMatch(rule)))

    def _forward(self) -> None:
        while not self._closed.is_set():
            try:
                message = self._signals.get(timeout=0.5)
            except queue.Empty:
                continue
            notification, key = message.body
            self.action_invoked.emit(int(notification), str(key))


_SHARED: dict[tuple[str, str], ActionNotifier | None] = {}
_SHARED_LOCK = threading.Lock()


def _unwrap(reply: Any) -> None:
    from jeepney import MessageType

    if reply.header.message_type is MessageType.error:
        raise RuntimeError(f"D-Bus error {reply.header.fields}: {reply.body}")
