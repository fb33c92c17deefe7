"""Deals: a buyer organisation and a seller from first inquiry through NDA and negotiation to
agreed terms, then contract, signature and payment (driven by their own modules).

Rules live in `models.py` (the state machine, on the Deal) and `services.py` (work spanning
several objects); the pages and the JSON API call the same functions.
"""
