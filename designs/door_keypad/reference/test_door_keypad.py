"""Reference tests for door_keypad: open, relock, failed attempts and lockout, code change, key front end."""

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles


async def start(dut):
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    dut.key_valid.value = 0
    dut.key_code.value = 0
    dut.rst_n.value = 0
    await ClockCycles(dut.clk, 2)
    dut.rst_n.value = 1
    await ClockCycles(dut.clk, 1)


async def keys(dut, text, hold=4):
    """Press each key of text ('*' = 10, '#' = 11, hex digits otherwise), then release it."""
    for ch in text:
        dut.key_code.value = {"*": 10, "#": 11}.get(ch) or int(ch, 16)
        dut.key_valid.value = 1
        await ClockCycles(dut.clk, hold)
        dut.key_valid.value = 0
        await ClockCycles(dut.clk, 2)


@cocotb.test()
async def test_open_and_relock(dut):
    await start(dut)
    await keys(dut, "31415")
    assert dut.digits.value == 5 and dut.unlocked.value == 0
    await keys(dut, "#")
    assert dut.unlocked.value == 1 and dut.attempts.value == 0
    await keys(dut, "7#")                     # digits ignored while open, '#' relocks
    assert dut.unlocked.value == 0
    await keys(dut, "31415#")
    assert dut.unlocked.value == 1
    await keys(dut, "*")                      # '*' relocks too
    assert dut.unlocked.value == 0
    await keys(dut, "31415#")
    await ClockCycles(dut.clk, 125)           # OPEN_CYCLES = 120: relocks by itself
    assert dut.unlocked.value == 0 and dut.digits.value == 0


@cocotb.test()
async def test_lockout_and_alarm(dut):
    await start(dut)
    await keys(dut, "12345#")                 # wrong code
    assert dut.attempts.value == 1 and dut.alarm.value == 0
    await keys(dut, "3141#")                  # too short
    assert dut.attempts.value == 2
    await keys(dut, "314159#")                # too long: third failure
    assert dut.locked_out.value == 1 and dut.alarm.value == 1 and dut.attempts.value == 3
    await keys(dut, "31415#")                 # ignored during the lockout
    assert dut.unlocked.value == 0 and dut.locked_out.value == 1
    await ClockCycles(dut.clk, 300)
    assert dut.locked_out.value == 0 and dut.attempts.value == 0 and dut.alarm.value == 1
    await keys(dut, "31415#")                 # the right code clears the alarm
    assert dut.unlocked.value == 1 and dut.alarm.value == 0


@cocotb.test()
async def test_change_code(dut):
    await start(dut)
    await keys(dut, "**")
    assert dut.admin.value == 1
    await keys(dut, "31415#88888")
    assert dut.admin.value == 1 and dut.digits.value == 5
    dut.key_code.value = 11                   # '#': watch for the code_changed pulse
    dut.key_valid.value = 1
    seen = 0
    for _ in range(8):
        await ClockCycles(dut.clk, 1)
        seen += int(dut.code_changed.value)
    dut.key_valid.value = 0
    await ClockCycles(dut.clk, 2)
    assert seen == 1 and dut.admin.value == 0
    await keys(dut, "31415#")                 # old code no longer opens
    assert dut.unlocked.value == 0 and dut.attempts.value == 1
    await keys(dut, "88888#")
    assert dut.unlocked.value == 1
    await keys(dut, "#**88888#77777#77777#")  # change again, to 77777
    assert dut.unlocked.value == 1


@cocotb.test()
async def test_admin_mistakes(dut):
    await start(dut)
    await keys(dut, "**12345#")               # wrong old code is a failed attempt
    assert dut.attempts.value == 1 and dut.admin.value == 0
    await keys(dut, "**31415#123#")           # short new code: nothing stored
    await keys(dut, "**31415#888888#")        # long new code: nothing stored
    await keys(dut, "**314c*")                # 12 is ignored, '*' cancels the change
    assert dut.admin.value == 0 and dut.digits.value == 0
    await keys(dut, "**31415#*")              # cancel while typing the new code
    await keys(dut, "*#*c*31415#")            # '*#' and '*c' leave, '*3' starts an entry
    assert dut.unlocked.value == 1 and dut.attempts.value == 0


@cocotb.test()
async def test_key_entry(dut):
    await start(dut)
    await keys(dut, "12*")                    # '*' clears typed digits
    assert dut.digits.value == 0
    await keys(dut, "3c1d4e1f5")              # codes 12-15 are ignored
    assert dut.digits.value == 5
    await keys(dut, "9", hold=2)              # too short a press: not accepted
    await keys(dut, "#")
    assert dut.unlocked.value == 1
    await keys(dut, "#")
    dut.key_valid.value = 1                   # change the code while held: one press only
    for k in (3, 1, 4, 4, 4, 4, 4, 4, 4):
        dut.key_code.value = k
        await ClockCycles(dut.clk, 1)
    dut.key_valid.value = 0
    await ClockCycles(dut.clk, 2)
    assert dut.digits.value == 1
