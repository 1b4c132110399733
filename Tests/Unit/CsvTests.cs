using SecondServer.Application.Reports;

namespace SecondServer.Tests.Unit;

public sealed class CsvTests
{
    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("a,b", "\"a,b\"")]
    [InlineData("say \"hi\"", "\"say \"\"hi\"\"\"")]
    [InlineData("two\nlines", "\"two\nlines\"")]
    [InlineData("=1+1", "'=1+1")]
    [InlineData("@SUM(A1)", "'@SUM(A1)")]
    [InlineData("-2,3", "\"'-2,3\"")]
    public void Csv_fields_are_quoted_and_never_formulas(string value, string expected) =>
        Assert.Equal(expected, Csv.Field(value));
}
