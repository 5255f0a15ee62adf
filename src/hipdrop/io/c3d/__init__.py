"""The C3D format: a numpy decoder of the header, parameters and point/analog blocks (format), force plates
(forceplates), the EVENT group (events) and the reader that returns an xarray Dataset (reader).
"""
