"""Contracts of deals: drafting from the agreed Terms, clause edits with a redline, approvals,
the PDF (rendered by a job), signatures, new versions, and admins' template uploads."""
