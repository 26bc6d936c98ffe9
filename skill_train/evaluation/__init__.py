"""Evaluation of frozen embeddings, as in the paper's §5, plus comparison and retrieval.

One job per module:

- ``splits``: train/test split by design (or product), so colourways never straddle it
- ``metrics``: accuracy, R@P, colour entropy (k-means on L2-normalised embeddings)
- ``probes``: linear and non-linear probes (scikit-learn, early stopping)
- ``knn``: DINO's weighted k-NN (shared with the trainer's end-of-training check)
- ``colors``: colour labels from the catalogue, or read from pixels
- ``embeddings``: the ``.npz`` embedding table; ``embed``: embedding a catalogue with a run
- ``evaluate``: every figure of one report; ``report``: rich tables, Markdown and JSON
- ``methods`` + ``compare`` + ``figures`` + ``plots``: ``skill compare`` and its PNGs
- ``search``: exact cosine retrieval of similar designs

Definitions are in docs/evaluation.md.
"""
