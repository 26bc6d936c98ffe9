"""DINO (Caron et al., 2021), with DINOv2's Sinkhorn centring and KoLeo as options: the method,
its loss, its head and its options, one module each."""

from skill_train.methods.dino.head import DINOHead
from skill_train.methods.dino.koleo import koleo_loss
from skill_train.methods.dino.loss import DINOLoss
from skill_train.methods.dino.method import DINO, cancel_last_layer_gradients
from skill_train.methods.dino.options import DINOOptions
from skill_train.methods.dino.sinkhorn import sinkhorn_knopp

__all__ = ["DINO", "DINOHead", "DINOLoss", "DINOOptions", "cancel_last_layer_gradients", "koleo_loss",
           "sinkhorn_knopp"]
