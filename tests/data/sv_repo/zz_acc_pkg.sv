package zz_acc_pkg;
  parameter int WIDTH = 9;
  typedef enum logic [1:0] { OpNop, OpAdd, OpClr } op_e;
  // one helper the design uses, and two it never runs (the second only called by the first)
  function automatic logic [7:0] add_wrap(logic [7:0] a, logic [7:0] b);
    return a + b;
  endfunction
  function automatic logic [7:0] scale_unused(logic [7:0] a);
    return double_unused(a) + 8'd1;
  endfunction
  function automatic logic [7:0] double_unused(logic [7:0] a);
    return a << 1;
  endfunction
endpackage
