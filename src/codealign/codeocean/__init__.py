"""The WaveCoder / CodeOcean recipe: raw code → coreset → generator–discriminator → SFT set."""
