"""Evaluation of frozen embeddings, as in the paper's §5, plus retrieval.

One job per module:

- ``transform``: the one photo → tensor transform (ImageNet normalisation), shared with training
- ``embed``: a run's backbone over a catalogue; ``embeddings``: the ``.npz`` embedding table
- ``splits``: train/test split by design (or product), so colourways never straddle it
- ``attributes``: which columns are scored (one rule for eval, compare and the trainer)
- ``knn``: DINO's weighted k-NN, and the trainer's end-of-run check built on it
- ``probes``: linear and non-linear probes (scikit-learn, early stopping)
- ``metrics``: accuracy, chance, R@P, colour entropy (k-means on L2-normalised embeddings)
- ``colors``: colour labels from the catalogue, or read from pixels
- ``evaluate``: every figure of one report; ``from_run``: ``skill eval``'s defaults from a run folder
- ``report``: rich tables and JSON; ``plots``: PNG figures drawn with OpenCV
- ``search``: exact cosine retrieval of similar designs

Definitions are in docs/evaluation.md.
"""
