using System.Text.Json;

namespace Cronflow.Tests.Definition;

internal sealed record FlowOrder(string OrderId, decimal Amount, IReadOnlyList<string> Tags);

internal sealed record FlowLine(string Sku, int Quantity);

internal enum FlowPriority
{
    Low,
    High,
}

internal sealed record FlowHolder(string Name, FlowValue Value, FlowValue? Missing);

public sealed class FlowValueTests
{
    // ---- As<T> ----------------------------------------------------------------------------

    [Fact]
    public void As_Record_ReadsCamelCaseJson()
    {
        var value = FlowValue.Parse("""{"orderId":"o-1","amount":12.5,"tags":["a","b"]}""");

        var order = value.As<FlowOrder>();

        Assert.Equal("o-1", order.OrderId);
        Assert.Equal(12.5m, order.Amount);
        Assert.Equal(["a", "b"], order.Tags);
    }

    [Fact]
    public void As_RecordFromPascalCaseJson_ReadsCaseInsensitively()
    {
        var order = FlowValue.Parse("""{"OrderId":"o-2","AMOUNT":3,"Tags":[]}""").As<FlowOrder>();

        Assert.Equal(new FlowOrder("o-2", 3m, order.Tags), order);
        Assert.Empty(order.Tags);
    }

    [Fact]
    public void As_Primitives_ReadsEachKind()
    {
        Assert.Equal(42, FlowValue.Parse("42").As<int>());
        Assert.Equal(42L, FlowValue.Parse("42").As<long>());
        Assert.Equal(2.5, FlowValue.Parse("2.5").As<double>());
        Assert.Equal("hi", FlowValue.Parse("\"hi\"").As<string>());
        Assert.True(FlowValue.Parse("true").As<bool>());
        Assert.Equal(new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero), FlowValue.Parse("\"2024-01-02T03:04:05+00:00\"").As<DateTimeOffset>());
        Assert.Equal(FlowPriority.High, FlowValue.Parse("\"High\"").As<FlowPriority>());
    }

    [Fact]
    public void As_NumberInString_ReadsNumber()
    {
        Assert.Equal(42, FlowValue.Parse("\"42\"").As<int>());
    }

    [Fact]
    public void As_Arrays_ReadsArraysAndLists()
    {
        var value = FlowValue.Parse("""[{"sku":"a","quantity":1},{"sku":"b","quantity":2}]""");

        Assert.Equal([new FlowLine("a", 1), new FlowLine("b", 2)], value.As<FlowLine[]>());
        Assert.Equal([new FlowLine("a", 1), new FlowLine("b", 2)], value.As<List<FlowLine>>());
        Assert.Equal([1, 2, 3], FlowValue.Parse("[1,2,3]").As<int[]>());
    }

    [Fact]
    public void As_NullValue_GivesNullForReferenceAndNullableTypes()
    {
        Assert.Null(FlowValue.Null.As<string>());
        Assert.Null(FlowValue.Null.As<int?>());
        Assert.Null(FlowValue.Null.As<FlowOrder>());
        Assert.Null(FlowValue.Parse("{}")["missing"].As<string>());
    }

    [Fact]
    public void As_FlowValueAndJsonElement_ReturnsTheValueItself()
    {
        var value = FlowValue.Parse("""{"a":1}""");

        Assert.Same(value, value.As<FlowValue>());
        Assert.Equal(JsonValueKind.Object, value.As<JsonElement>().ValueKind);
        Assert.Equal(1, value.As<JsonElement>().GetProperty("a").GetInt32());
    }

    [Fact]
    public void As_ObjectAsInt_ThrowsFlowValueExceptionNamingValueAndType()
    {
        var value = FlowValue.Parse("""{"a":1}""");

        var ex = Assert.Throws<FlowValueException>(() => value.As<int>());

        Assert.StartsWith("""The value {"a":1} cannot be read as Int32: """, ex.Message, StringComparison.Ordinal);
        Assert.IsType<JsonException>(ex.InnerException);
        Assert.IsAssignableFrom<CronflowException>(ex);
    }

    [Fact]
    public void As_TextAsInt_ThrowsFlowValueException()
    {
        var ex = Assert.Throws<FlowValueException>(() => FlowValue.Parse("\"abc\"").As<int>());

        Assert.StartsWith("The value \"abc\" cannot be read as Int32", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void As_ObjectAsArray_ThrowsFlowValueException()
    {
        var ex = Assert.Throws<FlowValueException>(() => FlowValue.Parse("""{"a":1}""").As<FlowLine[]>());

        Assert.Contains("cannot be read as FlowLine[]", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void As_NullAsInt_ThrowsFlowValueException()
    {
        var ex = Assert.Throws<FlowValueException>(() => FlowValue.Parse("{}")["amount"].As<int>());

        Assert.StartsWith("The value null cannot be read as Int32", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void As_LongValueWrongShape_MessageShowsShortenedValue()
    {
        var value = FlowValue.From(new { text = new string('x', 200) });

        var ex = Assert.Throws<FlowValueException>(() => value.As<int>());

        Assert.StartsWith("The value {\"text\":\"" + new string('x', 68) + "... cannot be read as Int32", ex.Message, StringComparison.Ordinal);
    }

    // ---- property and element access ------------------------------------------------------

    [Fact]
    public void Indexer_CamelCaseProperty_ReadableInAnyCase()
    {
        var value = FlowValue.From(new { OrderId = "o-1", Customer = new { FirstName = "Ann" } });

        Assert.Equal("""{"orderId":"o-1","customer":{"firstName":"Ann"}}""", value.ToString());
        Assert.Equal("o-1", value["orderId"].As<string>());
        Assert.Equal("o-1", value["OrderId"].As<string>());
        Assert.Equal("o-1", value["ORDERID"].As<string>());
        Assert.Equal("Ann", value["Customer"]["FirstName"].As<string>());
    }

    [Fact]
    public void Indexer_ExactNameWins_OverCaseInsensitiveMatch()
    {
        var value = FlowValue.Parse("""{"Name":"upper","name":"lower"}""");

        Assert.Equal("lower", value["name"].As<string>());
        Assert.Equal("upper", value["Name"].As<string>());
    }

    [Fact]
    public void Indexer_MissingProperty_IsNull()
    {
        var value = FlowValue.Parse("""{"a":1}""");

        Assert.True(value["b"].IsNull);
        Assert.True(value["b"]["c"]["d"].IsNull);
        Assert.Equal(FlowValue.Null, value["b"]);
    }

    [Fact]
    public void Indexer_PropertyWithNullValue_IsNull()
    {
        Assert.True(FlowValue.Parse("""{"a":null}""")["a"].IsNull);
    }

    [Fact]
    public void Indexer_ArrayElements_ReadByPosition()
    {
        var value = FlowValue.Parse("""[10,{"x":"y"},[1,2]]""");

        Assert.Equal(10, value[0].As<int>());
        Assert.Equal("y", value[1]["x"].As<string>());
        Assert.Equal(2, value[2][1].As<int>());
        Assert.Equal(3, value.Count);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(100)]
    [InlineData(-1)]
    public void Indexer_OutOfRange_IsNull(int index)
    {
        Assert.True(FlowValue.Parse("[1,2,3]")[index].IsNull);
    }

    [Fact]
    public void Indexer_WrongKind_IsNull()
    {
        Assert.True(FlowValue.Parse("""{"a":1}""")[0].IsNull);
        Assert.True(FlowValue.Parse("[1]")["a"].IsNull);
        Assert.True(FlowValue.Parse("\"text\"")["length"].IsNull);
        Assert.True(FlowValue.Null[0].IsNull);
        Assert.True(FlowValue.Null["a"].IsNull);
    }

    [Fact]
    public void Items_Array_YieldsElementsInOrder()
    {
        var items = FlowValue.Parse("""[1,"two",{"three":3}]""").Items().ToList();

        Assert.Equal(3, items.Count);
        Assert.Equal(1, items[0].As<int>());
        Assert.Equal("two", items[1].As<string>());
        Assert.Equal(3, items[2]["three"].As<int>());
    }

    [Fact]
    public void Items_NotAnArray_IsEmpty()
    {
        Assert.Empty(FlowValue.Parse("""{"a":1}""").Items());
        Assert.Empty(FlowValue.Null.Items());
        Assert.Empty(FlowValue.Parse("[]").Items());
        Assert.Equal(0, FlowValue.Parse("""{"a":1}""").Count);
    }

    // ---- equality -------------------------------------------------------------------------

    [Fact]
    public void Equals_SameJson_AreEqualWithEqualHashCodes()
    {
        var first = FlowValue.Parse("""{"a":1,"b":[1,2]}""");
        var second = FlowValue.From(new { a = 1, b = new[] { 1, 2 } });

        Assert.Equal(first, second);
        Assert.True(first.Equals((object)second));
        Assert.Equal(first.GetHashCode(), second.GetHashCode());
    }

    [Fact]
    public void Equals_PropertyOrderDiffers_AreEqual()
    {
        Assert.Equal(FlowValue.Parse("""{"a":1,"b":2}"""), FlowValue.Parse("""{"b":2,"a":1}"""));
    }

    [Fact]
    public void Equals_DifferentJson_AreNotEqual()
    {
        Assert.NotEqual(FlowValue.Parse("""{"a":1}"""), FlowValue.Parse("""{"a":2}"""));
        Assert.NotEqual(FlowValue.Parse("[1,2]"), FlowValue.Parse("[2,1]"));
        Assert.NotEqual(FlowValue.Parse("1"), FlowValue.Parse("\"1\""));
        Assert.NotEqual(FlowValue.Parse("null"), FlowValue.Parse("0"));
    }

    [Fact]
    public void Equals_NullValues_AreEqual()
    {
        Assert.Equal(FlowValue.Null, FlowValue.Parse("null"));
        Assert.Equal(FlowValue.Null, FlowValue.From(null));
        Assert.Equal(FlowValue.Null, FlowValue.FromJson(default));
        Assert.False(FlowValue.Null.Equals(null));
        Assert.False(FlowValue.Null.Equals((object)"null"));
    }

    // ---- construction and round trips -----------------------------------------------------

    [Fact]
    public void From_Record_RoundTripsThroughAs()
    {
        var order = new FlowOrder("o-9", 99.95m, ["x"]);

        var back = FlowValue.From(order).As<FlowOrder>();

        Assert.Equal(order.OrderId, back.OrderId);
        Assert.Equal(order.Amount, back.Amount);
        Assert.Equal(order.Tags, back.Tags);
    }

    [Fact]
    public void From_EnumValue_WritesString()
    {
        Assert.Equal("\"High\"", FlowValue.From(FlowPriority.High).ToString());
    }

    [Fact]
    public void From_FlowValueOrJsonElement_KeepsTheJson()
    {
        var value = FlowValue.Parse("""{"a":1}""");

        Assert.Same(value, FlowValue.From(value));
        Assert.Equal(value, FlowValue.From(value.Json));
    }

    [Fact]
    public void Parse_ToString_RoundTrips()
    {
        var value = FlowValue.Parse("""{"a":[1,2,{"b":null}],"c":"d"}""");

        var again = FlowValue.Parse(value.ToString());

        Assert.Equal(value, again);
        Assert.Equal(value.ToString(), again.ToString());
    }

    [Fact]
    public void Parse_InvalidJson_ThrowsJsonException()
    {
        Assert.ThrowsAny<JsonException>(() => FlowValue.Parse("{not json"));
    }

    [Fact]
    public void FromJson_ElementOfDisposedDocument_StaysReadable()
    {
        FlowValue value;
        using (var document = JsonDocument.Parse("""{"a":{"b":2}}"""))
        {
            value = FlowValue.FromJson(document.RootElement.GetProperty("a"));
        }

        Assert.Equal(2, value["b"].As<int>());
        Assert.Equal("""{"b":2}""", value.ToString());
    }

    [Fact]
    public void FromJson_NullAndUndefined_GiveNull()
    {
        Assert.Same(FlowValue.Null, FlowValue.FromJson(default));
        Assert.Same(FlowValue.Null, FlowValue.FromJson(JsonSerializer.SerializeToElement<object?>(null)));
    }

    // ---- text -----------------------------------------------------------------------------

    [Fact]
    public void ToString_SerializedObject_IsCompactJson()
    {
        Assert.Equal("""{"name":"x","items":[1,2],"nested":{"ok":true}}""", FlowValue.From(new { Name = "x", Items = new[] { 1, 2 }, Nested = new { Ok = true } }).ToString());
    }

    [Fact]
    public void ToString_Scalars_AreJsonText()
    {
        Assert.Equal("null", FlowValue.Null.ToString());
        Assert.Equal("\"hi\"", FlowValue.From("hi").ToString());
        Assert.Equal("42", FlowValue.From(42).ToString());
        Assert.Equal("true", FlowValue.From(true).ToString());
    }

    [Fact]
    public void ToString_ParsedIndentedJson_IsCompactJson()
    {
        var value = FlowValue.Parse("""
            {
              "a": [1, 2],
              "b": { "c": "d" }
            }
            """);

        Assert.Equal("""{"a":[1,2],"b":{"c":"d"}}""", value.ToString());
    }

    // ---- serialization --------------------------------------------------------------------

    [Fact]
    public void Serialize_FlowValueInsideObject_WritesRawJson()
    {
        var holder = new FlowHolder("n", FlowValue.Parse("""{"a":[1,2],"b":"c"}"""), null);

        var json = JsonSerializer.Serialize(holder, CronflowJson.Options);

        Assert.Equal("""{"name":"n","value":{"a":[1,2],"b":"c"},"missing":null}""", json);
    }

    [Fact]
    public void Serialize_IndentedSourceInsideObject_WritesCompactJson()
    {
        var holder = new FlowHolder("n", FlowValue.Parse("{ \"a\" :  1 }"), FlowValue.Null);

        Assert.Equal("""{"name":"n","value":{"a":1},"missing":null}""", JsonSerializer.Serialize(holder, CronflowJson.Options));
    }

    [Fact]
    public void Deserialize_ObjectWithFlowValue_ReadsAnyJson()
    {
        var holder = JsonSerializer.Deserialize<FlowHolder>("""{"name":"n","value":[1,{"x":2}],"missing":null}""", CronflowJson.Options)!;

        Assert.Equal(FlowValue.Parse("""[1,{"x":2}]"""), holder.Value);
        Assert.Equal(2, holder.Value[1]["x"].As<int>());
        Assert.NotNull(holder.Missing);
        Assert.True(holder.Missing.IsNull);
    }

    [Fact]
    public void Serialize_FlowValueAtRoot_WritesTheJson()
    {
        Assert.Equal("[1,2]", JsonSerializer.Serialize(FlowValue.Parse("[1, 2]"), CronflowJson.Options));
        Assert.Equal("null", JsonSerializer.Serialize(FlowValue.Null, CronflowJson.Options));
    }

    [Fact]
    public void Array_ValuesOfEveryKind_IsTheArrayOfThemInOrder()
    {
        var values = new[] { FlowValue.Parse("""{"a":[1,"two"],"é":"ü \u2603"}"""), FlowValue.Null, FlowValue.From(3.5), FlowValue.From("x\"y"), FlowValue.Parse("[]") };

        var array = FlowValues.Array(values);

        Assert.Equal(FlowValue.Parse("""[{"a":[1,"two"],"é":"ü ☃"},null,3.5,"x\"y",[]]"""), array);
        Assert.Equal(values.Length, array.Count);
        Assert.Equal("ü ☃", array[0]["é"].As<string>());
    }

    [Fact]
    public void Concat_Arrays_IsOneArrayOfTheirItems()
    {
        var joined = FlowValues.Concat([FlowValue.Parse("[1,2]"), FlowValue.Parse("[]"), FlowValue.Parse("""[{"k":3}]""")]);

        Assert.Equal(FlowValue.Parse("""[1,2,{"k":3}]"""), joined);
    }
}
