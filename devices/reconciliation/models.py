"""No models of its own: reconciliation's rows are devices' (devices/models.py).

The module is here because Django sends ``post_migrate`` only to apps with a models module, and that signal
makes this app's schedules (apps.py).
"""
