"""Synthetic SCADA: historian-style exports and ground truth from EPANET, for demos, tests and evaluation."""
