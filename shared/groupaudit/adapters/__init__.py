"""Adapters: everything that touches the world (files, network, AWS) lives here."""
