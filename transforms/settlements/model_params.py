"""The bound parameters of the settlement SQL models (transforms/settlements/sql/): how close to the
front a settlement must come to be tracked daily, and how long a new status must hold to count."""

FRONT_ZONE_KM = 50.0  # fact_settlement_control_daily keeps settlements ever this close to the front
# Anti-flicker: observed days a new status must hold before it counts as a change, per source.
HOLD_DAYS = {"deepstate": 3, "deepstate_api": 1}
# ... and the settlement must get this far from the front on its new side at least once (not for
# grey_zone): a centre point the line keeps crossing back and forth (Toretsk's stays within
# 0.06 km of it from 2024-10-16 to 11-09) is not a change yet.
HOLD_DEPTH_KM = 0.25
# ... unless the run lasts this many observed days (about a month): a status the source keeps
# that long is its assessment, not flicker at a polygon's edge (Vovchansk's centre lay 0.06 km
# inside the API's occupied layer for 15 weeks of 2024; Toretsk's 15-day swing out stays flicker).
LONG_HOLD_DAYS = {"deepstate": 30, "deepstate_api": 4}
