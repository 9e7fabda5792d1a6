`ifndef ACC_CHECKS_SV
`define ACC_CHECKS_SV
`define CHECK_NOTHING
`endif
