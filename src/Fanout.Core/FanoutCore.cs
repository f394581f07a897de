namespace Fanout.Core;

/// <summary>Marker for the Fanout.Core assembly.</summary>
public static class FanoutCore;
