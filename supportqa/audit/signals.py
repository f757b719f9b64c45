from django.dispatch import Signal

# Sent inside the write's transaction after each audit event: `event` (the AuditEvent) and
# `obj` (what it is about). Outbound webhooks listen to it.
event_recorded = Signal()
