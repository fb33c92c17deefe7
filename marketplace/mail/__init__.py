"""Outgoing e-mail: every message is written to an outbox row and delivered by a job."""
