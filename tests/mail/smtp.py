"""A real SMTP server on loopback for the mail tests: it speaks enough SMTP for smtplib and keeps what it got.

It can be stopped and started again on the same port (a mail server going away and coming back), and told
to refuse some recipients with a permanent error.
"""

from __future__ import annotations

import socketserver
import threading
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

from tests.exchange.processes import free_port


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: Message

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def body(self) -> str:
        payload = self.message.get_payload(decode=True)
        return payload.decode() if isinstance(payload, bytes) else str(payload)


@dataclass
class SmtpServer:
    port: int = field(default_factory=free_port)
    refuse: set[str] = field(default_factory=set)
    received: list[Received] = field(default_factory=list)
    _server: socketserver.ThreadingTCPServer | None = None

    def start(self) -> SmtpServer:
        owner = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line: str) -> None:
                self.wfile.write(f"{line}\r\n".encode())

            def handle(self) -> None:
                self.reply("220 localhost test SMTP")
                sender, recipients = "", list[str]()
                while raw := self.rfile.readline():
                    command = raw.decode(errors="replace").rstrip("\r\n")
                    verb = command[:4].upper()
                    if verb in {"EHLO", "HELO"}:
                        self.reply("250 localhost")
                    elif verb == "MAIL":
                        sender, recipients = command.split(":", 1)[1].strip(" <>"), list[str]()
                        self.reply("250 OK")
                    elif verb == "RCPT":
                        address = command.split(":", 1)[1].strip(" <>")
                        if address in owner.refuse:
                            self.reply("550 No such user")
                        else:
                            recipients.append(address)
                            self.reply("250 OK")
                    elif verb == "DATA":
                        self.reply("354 End data with <CR><LF>.<CR><LF>")
                        lines: list[bytes] = []
                        while (line := self.rfile.readline()) not in {b".\r\n", b".\n", b""}:
                            lines.append(line[1:] if line.startswith(b"..") else line)
                        owner.received.append(Received(sender, recipients, message_from_bytes(b"".join(lines))))
                        self.reply("250 OK queued")
                    elif verb == "QUIT":
                        self.reply("221 Bye")
                        return
                    else:  # RSET, NOOP
                        self.reply("250 OK")

        class Server(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            daemon_threads = True

        self._server = Server(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def to(self, address: str) -> list[Received]:
        return [message for message in self.received if address in message.recipients]

    def settings(self) -> dict[str, Any]:
        """Django settings that send to this server."""
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": self.port,
            "EMAIL_USE_TLS": False,
            "EMAIL_USE_SSL": False,
            "EMAIL_HOST_USER": "",
            "EMAIL_HOST_PASSWORD": "",
        }
