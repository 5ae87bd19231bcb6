"""test_sim_peer.py - skimage's radon of the simulator's reference phantom
(tests/data/sim_reference) has not changed; tests/test_simulate.c compares tsct with it."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peer_reference  # noqa: E402

peer_reference.check("sim_reference", {"image.f32": "<f4", "angles.f64": "<f8",
                                       "radon.f32": "<f4"})
