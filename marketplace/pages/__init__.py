"""Public pages that belong to no feature: the home page and the root redirect."""
