package zz_acc_pkg;
  parameter int WIDTH = 9;
  typedef enum logic [1:0] { OpNop, OpAdd, OpClr } op_e;
endpackage
