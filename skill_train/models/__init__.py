"""The networks every method shares: the timm backbone, the multi-crop wrapper, EMA copies,
the optimiser's parameter groups and the device they run on. Method-specific heads live
with their method (``skill_train.methods``)."""
