// Macros only, used by files that do not include this one (they rely on the compile order).
`define ACC_KNOWN(sig) wire unused_known_``sig = ^sig;
