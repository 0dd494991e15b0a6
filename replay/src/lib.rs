//! `vatrace replay`: re-executes a recorded trace against a V4L2 device and judges every call.
//! Not implemented yet (issue 5).
