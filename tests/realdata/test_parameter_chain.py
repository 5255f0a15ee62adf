"""A parameter chain that ends by pointing past the parameter blocks the file declares (issue 22, item 16).

The C3D user guide ends the chain with a 0 offset; some writers instead give the last parameter an offset that
leads past the section, into the data block. BTK and the `c3d` package stop the walk at the declared blocks and
read such files. Here the SGI/MIPS file c3dorg_Eb015si_mips.c3d is rewritten that way and must still read equal to
its Intel twin.
"""

import struct

import numpy as np
import pytest

from hipdrop.io.c3d.forceplates import force_plates
from hipdrop.io.c3d.format import BLOCK, decode
from hipdrop.io.c3d.reader import read_c3d
from tests.conftest import shared_file
from tests.unit.io.test_c3d_format import known_points, pack_c3d

pytestmark = pytest.mark.realdata


def last_entry_offset_word(raw: bytes) -> tuple[int, int]:
    """(byte of the last entry's offset word, end of the declared parameter blocks), walking the chain with the
    user guide's layout: name length, group id, name, 16-bit offset to the next entry."""
    start = (raw[0] - 1) * BLOCK
    order = ">" if raw[start + 3] == 86 else "<"
    declared_end = start + raw[start + 2] * BLOCK
    position, word = start + 4, None
    while True:
        name_length, group_id = struct.unpack_from("bb", raw, position)
        if name_length == 0 or group_id == 0:
            return word, declared_end
        word = position + 2 + abs(name_length)
        (offset,) = struct.unpack_from(order + "H", raw, word)
        if offset == 0:
            return word, declared_end
        position = word + offset


@pytest.mark.parametrize("past", [0, 6, 1000])
def test_a_chain_ending_past_the_declared_blocks_reads_as_its_intel_twin(past, tmp_path):
    raw = bytearray(shared_file("formats/c3dorg_Eb015si_mips.c3d").read_bytes())
    word, declared_end = last_entry_offset_word(bytes(raw))
    struct.pack_into(">H", raw, word, declared_end + past - word)  # ANALOG:RATE now points into the data block
    assert raw[declared_end + past] != 0  # the bytes it points at are data, not the end marker
    mips = decode(bytes(raw))
    intel = decode(shared_file("formats/c3dorg_Eb015pi_intel.c3d").read_bytes())
    assert mips.processor == "SGI/MIPS" and mips.parameters.keys() == intel.parameters.keys()
    assert mips.parameters["ANALOG"]["RATE"]["value"].tolist() == intel.parameters["ANALOG"]["RATE"]["value"].tolist()
    np.testing.assert_array_equal(mips.points, intel.points)
    np.testing.assert_array_equal(mips.analogs, intel.analogs)
    np.testing.assert_array_equal(force_plates(mips)[0], force_plates(intel)[0])
    assert mips.point_labels == intel.point_labels and mips.rate_hz == intel.rate_hz == 50.0
    (tmp_path / "chain.c3d").write_bytes(bytes(raw))
    trial, twin = read_c3d(tmp_path / "chain.c3d"), read_c3d(shared_file("formats/c3dorg_Eb015pi_intel.c3d"))
    np.testing.assert_array_equal(trial["markers"].values, twin["markers"].values)


@pytest.mark.parametrize("processor", ["intel", "mips"])
def test_a_packed_file_whose_last_offset_leads_into_its_data(processor):
    raw = bytearray(pack_c3d(known_points(), processor=processor))
    chained = decode(bytes(raw))
    word, declared_end = last_entry_offset_word(bytes(raw))
    data = next(i for i in range(declared_end, len(raw)) if raw[i])  # a non-zero byte of frame 1, no end marker
    struct.pack_into(">H" if processor == "mips" else "<H", raw, word, data - word)
    ended = decode(bytes(raw))
    np.testing.assert_array_equal(ended.points, chained.points)
    assert ended.parameters.keys() == chained.parameters.keys() and ended.warnings == chained.warnings == []
