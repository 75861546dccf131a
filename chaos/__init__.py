"""The fault-injection harness (`python -m chaos`, `make chaos`): never stuck, never twice.

On the real local stack, a full request is run once undisturbed, then once per cell: a
worker killed with SIGKILL before or after each activity type (`workers.faults`), or a
server (the case store, S3, SMTP) cut for a while at a stage. Each run is compared with
the undisturbed one. Dev only, like `devstack/`: not in the wheel or the image.
"""
