mod helpers;
mod http;
mod identity_canary;
mod processes;
mod serve;
mod storage_contract;
