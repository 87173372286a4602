"""General Staff loss claims: the category map, the daily and monthly facts, and the bitemporal
layer with its revisions.

Why here and not in casualties/: all four tables come from the same three General Staff files and
the same category map (``core.loss_field_map``); the bitemporal layer and the revisions are the
history of the very values fact_losses_daily holds. casualties/ keeps the other publishers —
Mediazona's named deaths and the official/researchers' estimates — and the cost-of-advance mart.
"""
