mod helpers;
mod identity_canary;
mod processes;
mod storage_contract;
