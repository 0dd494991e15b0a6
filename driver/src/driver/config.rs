//! VA configs: a profile and entrypoint the client chose (only VLD decoding is offered).

use super::State;
use crate::va::{self, VaError, VaResult};

pub struct Config {
    pub profile: va::VAProfile,
    pub entrypoint: va::VAEntrypoint,
}

impl State {
    pub fn create_config(
        &mut self,
        profile: va::VAProfile,
        entrypoint: va::VAEntrypoint,
    ) -> VaResult<u32> {
        if !self.profiles().contains(&profile) {
            return Err(VaError::VA_STATUS_ERROR_UNSUPPORTED_PROFILE);
        }
        if entrypoint != va::VAEntrypointVLD {
            return Err(VaError::VA_STATUS_ERROR_UNSUPPORTED_ENTRYPOINT);
        }
        Ok(self.configs.insert(Config {
            profile,
            entrypoint,
        }))
    }
}
