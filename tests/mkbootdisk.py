#!/usr/bin/env python3
"""Write a tiny bootable raw disk for the boot tests.

  mkbootdisk.py FILE SIZE MESSAGE

FILE gets SIZE bytes (sparse) whose first sector is a BIOS boot sector:
it sets up the first serial port (115200 8N1), writes MESSAGE and a
newline on it, and halts.  Any PC firmware boots it from any disk bus, so
it shows that the disk reached the guest, with no kernel and no package
beyond python3.  The program is assembled here from its instructions,
each with its encoding, so there is no assembler to install.
"""
import sys

COM1 = 0x3F8
ORG = 0x7C00


def assemble(message):
    code = bytearray()
    labels, fixups = {}, []

    def emit(*b):
        code.extend(b)

    def out(port, value):            # mov dx, port; mov al, value; out dx, al
        emit(0xBA, port & 0xFF, port >> 8, 0xB0, value, 0xEE)

    def jump(opcode, label):         # short jump, patched once labels are known
        emit(opcode, 0)
        fixups.append((len(code) - 1, label))

    emit(0xFA)                       # cli
    emit(0x31, 0xC0)                 # xor ax, ax
    emit(0x8E, 0xD8)                 # mov ds, ax
    emit(0x8E, 0xD0)                 # mov ss, ax
    emit(0xBC, 0x00, 0x7C)           # mov sp, 0x7c00
    emit(0xFC)                       # cld
    out(COM1 + 1, 0x00)              # no interrupts
    out(COM1 + 3, 0x80)              # DLAB on
    out(COM1 + 0, 0x01)              # divisor 1: 115200 baud
    out(COM1 + 1, 0x00)
    out(COM1 + 3, 0x03)              # 8N1, DLAB off
    out(COM1 + 2, 0xC7)              # FIFO on, cleared
    out(COM1 + 4, 0x0B)              # DTR, RTS, OUT2
    emit(0xBE, 0, 0)                 # mov si, message
    msg_fixup = len(code) - 2
    labels["next"] = len(code)
    emit(0xAC)                       # lodsb
    emit(0x84, 0xC0)                 # test al, al
    jump(0x74, "done")               # jz done
    emit(0x88, 0xC4)                 # mov ah, al
    labels["wait"] = len(code)
    emit(0xBA, (COM1 + 5) & 0xFF, (COM1 + 5) >> 8)  # mov dx, line status
    emit(0xEC)                       # in al, dx
    emit(0xA8, 0x20)                 # test al, 0x20 (transmitter empty)
    jump(0x74, "wait")               # jz wait
    emit(0x88, 0xE0)                 # mov al, ah
    emit(0xBA, COM1 & 0xFF, COM1 >> 8)  # mov dx, COM1
    emit(0xEE)                       # out dx, al
    jump(0xEB, "next")               # jmp next
    labels["done"] = len(code)
    emit(0xF4)                       # hlt
    jump(0xEB, "done")               # jmp done
    msg_at = ORG + len(code)
    code[msg_fixup:msg_fixup + 2] = msg_at.to_bytes(2, "little")
    code.extend(message.encode() + b"\r\n\0")
    for at, label in fixups:
        rel = labels[label] - (at + 1)
        assert -128 <= rel < 128
        code[at] = rel & 0xFF
    if len(code) > 446:              # keep clear of the partition table
        sys.exit("mkbootdisk.py: the message is too long")
    return bytes(code) + bytes(510 - len(code)) + b"\x55\xAA"


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    path, size, message = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    with open(path, "wb") as f:
        f.write(assemble(message))
        f.truncate(size)


if __name__ == "__main__":
    main()
