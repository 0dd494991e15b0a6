//! `vatrace tui`: live and offline pool-occupancy monitor (ratatui). Not implemented yet (issue 6).
