//! The toolbox over the network: queues, work queues, events and locks that
//! one node exports and others use as they use the local ones.
