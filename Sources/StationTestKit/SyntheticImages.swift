import Simulation

/// The synthetic JPEG builder lives with the simulated cards (their DG2 portraits); tests reach it through the kit.
public typealias SyntheticJPEG = Simulation.SyntheticJPEG
