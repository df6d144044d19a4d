from runtime.datastream.connectors.number_seq import NumberSequenceSource, Source

__all__ = ["NumberSequenceSource", "Source"]
