"""Casualties beyond the General Staff claims (those are in transforms.losses): Mediazona's named
deaths per week and vintage, official and researchers' estimates, and the cost-of-advance mart."""
