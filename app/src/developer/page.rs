//! The developer page (written next).
