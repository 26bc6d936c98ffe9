"""``skill compare``: several rows (policies and methods) trained under one budget, evaluated alike.

- ``rows``: which rows exist (random init, DINO, SkiLL, its ablations, BYOL, SimCLR) and their policies
- ``runs``: train, resume or reuse each row's run, evaluate it, write the comparison
- ``figures``: colour-entropy bars, 2-D embedding maps and the ablation ranking; ``report``: the tables and Markdown
- ``seeds``: ``--seeds``, the (row, seed) run folders and the figures over seeds (claim pairs)
- ``stats``: mean ± sd and paired differences with a Student-t interval
- ``ablation``: ``skill ablate``, one row per op of A_i and H removed, ranked by what each op buys
"""
