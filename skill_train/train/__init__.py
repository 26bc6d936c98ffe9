"""The training job: the loop (``loop``), what it builds (``build``), its data (``data``,
``dataset``) and its processes (``distributed``). The loop names no method: each method's
networks, loss and updates come through :class:`skill_train.methods.Method`."""
