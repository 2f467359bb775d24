"""Signals for modules that follow their messages (a pathway step done once the offer is sent…).

`message_finished` is sent once per message when it reaches a final status (sent, failed, refused,
dropped), inside the transaction that records it, with `message` and `status`. Receivers write
through their own services and must not raise: a receiver's error fails that transaction, and the
outcome is then recorded again on the next pass.
"""

from django.dispatch import Signal

message_finished = Signal()
